//! Secrets at rest: ChaCha20-Poly1305 (`ring::aead`) under one 32-byte key
//! kept in a file created on first use with mode 0600.
//!
//! Why a key file and not a key in the database: a copy of the database
//! (a backup, a MongoDB dump) then holds no usable token. The file lives in
//! the data directory, which no route serves and which `bincio render`
//! refuses as its output (`render --out` / `serve --render-dir` must not
//! overlap it); the BAS export is written from the store only.
//!
//! A sealed value is `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`,
//! with a fresh random nonce each time and the associated data naming the
//! member, the provider and the purpose, so a blob copied to another
//! member's record does not open. Losing (or replacing) the key file makes
//! every sealed value unreadable: [`KeyRing::open`] answers `None`, and the
//! services treat that as "not connected" (the member connects again).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};

const VERSION: u8 = 1;
const KEY_LEN: usize = 32;

/// The key file and the key, loaded (or created) on first use.
pub struct KeyRing {
    path: PathBuf,
    key: OnceLock<LessSafeKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("path", &self.path).finish()
    }
}

fn key_of(bytes: &[u8]) -> Option<LessSafeKey> {
    UnboundKey::new(&CHACHA20_POLY1305, bytes)
        .ok()
        .map(LessSafeKey::new)
}

impl KeyRing {
    /// The key kept in `path` (nothing is read or created yet).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            key: OnceLock::new(),
        }
    }

    /// The key file of a data directory: `<data dir>/keys/secrets.key`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::at(data_dir.join("keys").join("secrets.key"))
    }

    /// Where the key lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key if its file exists and is well formed.
    fn load(&self) -> Option<&LessSafeKey> {
        if let Some(k) = self.key.get() {
            return Some(k);
        }
        let bytes = std::fs::read(&self.path).ok()?;
        if bytes.len() != KEY_LEN {
            tracing::warn!(path = %self.path.display(), "key file is not 32 bytes; ignoring it");
            return None;
        }
        let key = key_of(&bytes)?;
        Some(self.key.get_or_init(|| key))
    }

    /// The key, creating the file (0600, directory 0700) when absent.
    /// Two processes creating it at once agree on one key: each writes a
    /// temporary file and links it into place, which only one link wins.
    fn load_or_create(&self) -> std::io::Result<&LessSafeKey> {
        if let Some(k) = self.load() {
            return Ok(k);
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        let tmp = dir.join(format!(".secrets.key.{:08x}", rand::rng().next_u32()));
        {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            let mut f = o.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        let linked = std::fs::hard_link(&tmp, &self.path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => tracing::info!(path = %self.path.display(), "created the secrets key file"),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        self.load().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: not a 32-byte key", self.path.display()),
            )
        })
    }

    /// Seal `plain` for `aad` (creating the key file if needed).
    pub fn seal(&self, aad: &str, plain: &[u8]) -> std::io::Result<Vec<u8>> {
        let key = self.load_or_create()?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plain.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        let mut body = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut body,
        )
        .map_err(|_| std::io::Error::other("sealing failed"))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Open a sealed value: `None` when the key is missing or another one,
    /// the value was sealed for other associated data, or it was altered.
    pub fn open(&self, aad: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let key = self.load()?;
        let (&version, rest) = sealed.split_first()?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = body.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut body)
            .ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_bind() {
        let dir = tempfile_dir();
        let ring = KeyRing::in_data_dir(&dir);
        assert_eq!(ring.open("a", &[1, 2, 3]), None, "no key yet");
        let s = ring.seal("alice:strava", b"secret").unwrap();
        assert!(!s.windows(6).any(|w| w == b"secret"));
        assert_eq!(
            ring.open("alice:strava", &s).as_deref(),
            Some(&b"secret"[..])
        );
        assert_eq!(ring.open("bob:strava", &s), None, "bound to the member");
        let mut bad = s.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(ring.open("alice:strava", &bad), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(ring.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Another ring over the same file opens it; a new key does not.
        assert!(KeyRing::in_data_dir(&dir)
            .open("alice:strava", &s)
            .is_some());
        std::fs::remove_file(ring.path()).unwrap();
        let fresh = KeyRing::in_data_dir(&dir);
        fresh.seal("x", b"y").unwrap();
        assert_eq!(fresh.open("alice:strava", &s), None, "lost key: unreadable");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("bincio-seal-{:016x}", rand::rng().next_u64()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
