//! Ingesting into a static BAS tree (`bincio extract --output`): the
//! single-user flow without a store, with the same rules as
//! [`super::Activities::ingest`] — so the CLI only walks files, runs the
//! workers and shows progress:
//!
//! * a file whose hash is known is unchanged (never parsed again);
//! * an id taken by another file gets the collision suffix
//!   ([`ids::collision_id`]);
//! * the near-duplicate rule ([`placement`]) decides which of two
//!   recordings of one outing is listed: the loser keeps its documents
//!   with `duplicate_of` set and leaves the index.
//!
//! The tree's dedup cache, file stamps and `index.json` are loaded by
//! [`TreeIngest::open`] and written back by [`TreeIngest::finish`].

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::Path;

use super::ingest::{placement, Placement};
use crate::extract::dedup::{DedupIndex, DedupRecord};
use crate::extract::ids;
use crate::extract::tree::{write_root_manifest, FileStamp, UserTree};
use crate::extract::{Activity, Summary};

/// What [`TreeIngest::add`] did with an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeOutcome {
    /// Its file is known already: nothing written.
    Unchanged,
    /// Written and listed.
    Added {
        /// Its id.
        id: String,
    },
    /// Written and listed; an earlier, worse recording of the same outing
    /// (`loser`) was marked its duplicate and unlisted.
    Supersedes {
        /// Its id.
        id: String,
        /// The recording it replaces in the index.
        loser: String,
    },
    /// Written but not listed: a recording at least as good exists.
    NearDuplicate {
        /// Its id.
        id: String,
        /// The recording it duplicates.
        of: String,
    },
}

/// One user's static tree being filled.
pub struct TreeIngest {
    tree: UserTree,
    cache: DedupIndex,
    stamps: BTreeMap<String, FileStamp>,
    index: BTreeMap<String, Summary>,
}

fn context(what: String) -> impl FnOnce(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

impl TreeIngest {
    /// Open `{output}/{handle}` (created when missing) with its cache and
    /// index. The caller validates the handle.
    pub fn open(output: &Path, handle: &str) -> io::Result<Self> {
        std::fs::create_dir_all(output)
            .map_err(context(format!("cannot create {}", output.display())))?;
        let tree = UserTree::open(output, handle).map_err(context(format!(
            "cannot create {}",
            output.join(handle).display()
        )))?;
        let (cache, stamps) = tree.load_cache();
        let index = tree
            .load_index()
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        Ok(Self {
            tree,
            cache,
            stamps,
            index,
        })
    }

    /// Source hashes already in the tree (workers skip those files).
    pub fn known_hashes(&self) -> HashSet<String> {
        self.cache
            .records()
            .iter()
            .map(|r| r.source_hash.clone())
            .collect()
    }

    /// Input file stamps by path (a file whose stamp matches a known hash
    /// is not even read).
    pub fn stamps(&self) -> &BTreeMap<String, FileStamp> {
        &self.stamps
    }

    /// Remember the stamp of an input file.
    pub fn set_stamp(&mut self, key: String, stamp: FileStamp) {
        self.stamps.insert(key, stamp);
    }

    /// Add an extracted activity under the rules of the module.
    pub fn add(&mut self, mut a: Activity) -> io::Result<TreeOutcome> {
        let hash = a.detail.source_hash.clone();
        if self.cache.contains_hash(&hash) {
            return Ok(TreeOutcome::Unchanged);
        }
        let id = a.detail.id.clone();
        if self.tree.has_activity(&id) && self.tree.detail_hash(&id).as_deref() != Some(&hash) {
            a.set_id(&ids::collision_id(&id, &hash));
        }
        let started_at = chrono::DateTime::parse_from_rfc3339(&a.detail.started_at)
            .map(|t| t.timestamp())
            .unwrap_or(0);
        let place = placement(self.cache.near_duplicate(
            started_at,
            a.detail.distance_m,
            a.detail.source.as_deref(),
        ));
        let id = a.detail.id.clone();
        let dir = self.tree.dir().display().to_string();
        if let Some(of) = &place.duplicate_of {
            a.detail.duplicate_of = Some(of.clone());
        }
        if let Some(loser) = &place.supersedes {
            self.tree
                .mark_duplicate(loser, &id)
                .map_err(context(format!("cannot update {loser} in {dir}")))?;
            self.cache.mark_duplicate(loser, &id);
            self.index.remove(loser);
        }
        self.tree
            .write_activity(&a)
            .map_err(context(format!("cannot write {id} in {dir}")))?;
        if place.duplicate_of.is_none() {
            self.index.insert(id.clone(), a.summary());
        }
        self.cache.insert(DedupRecord {
            id: id.clone(),
            source_hash: hash,
            started_at,
            distance_m: a.detail.distance_m,
            source: a.detail.source.clone(),
            duplicate_of: place.duplicate_of.clone(),
        });
        Ok(match place {
            Placement {
                duplicate_of: Some(of),
                ..
            } => TreeOutcome::NearDuplicate { id, of },
            Placement {
                supersedes: Some(loser),
                ..
            } => TreeOutcome::Supersedes { id, loser },
            _ => TreeOutcome::Added { id },
        })
    }

    /// Write the user's `index.json`, the cache and the root manifest.
    pub fn finish(self, display_name: &str) -> io::Result<()> {
        self.tree
            .write_index(display_name, self.index.into_values().collect())
            .map_err(context("cannot write the user index".into()))?;
        self.tree
            .save_cache(&self.cache, &self.stamps)
            .map_err(context("cannot write the cache".into()))?;
        let root = self.tree.dir().parent().unwrap_or(Path::new("."));
        write_root_manifest(root).map_err(context("cannot write the root manifest".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{compute, parse_bytes, Limits, Options};

    /// A 5-minute GPX walk starting at 08:00 UTC; `creator` changes the
    /// bytes (and so the hash) without changing the recording.
    fn walk(creator: &str) -> Activity {
        let mut gpx = format!(
            r#"<?xml version="1.0"?><gpx version="1.1" creator="{creator}" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>"#
        );
        for i in 0..6 {
            gpx.push_str(&format!(
                r#"<trkpt lat="45.0" lon="{}"><ele>100</ele><time>2024-05-01T08:0{i}:00Z</time></trkpt>"#,
                7.0 + f64::from(i) * 0.001
            ));
        }
        gpx.push_str("</trkseg></trk></gpx>");
        let parsed = parse_bytes("walk.gpx", gpx.as_bytes(), &Limits::default()).expect("parse");
        compute(&parsed, &Options::default())
    }

    fn temp_root(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "bincio-tree-ingest-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn same_rules_as_the_store() {
        let root = temp_root("rules");
        let mut tree = TreeIngest::open(&root, "rider").expect("open");
        let first = tree.add(walk("a")).expect("add");
        let TreeOutcome::Added { id } = &first else {
            panic!("{first:?}")
        };
        // The same file again: known hash, nothing written.
        assert_eq!(tree.add(walk("a")).expect("add"), TreeOutcome::Unchanged);
        // Another file of the same outing and source: its id collides (the
        // hash suffix), and the existing recording wins the tie.
        match tree.add(walk("b")).expect("add") {
            TreeOutcome::NearDuplicate { id: dup, of } => {
                assert_ne!(&dup, id);
                assert!(dup.starts_with(id.as_str()), "{dup}");
                assert_eq!(&of, id);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(tree.known_hashes().len(), 2);
        tree.finish("Rider").expect("finish");
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join("rider/index.json")).expect("index"))
                .expect("json");
        let listed: Vec<&str> = index["activities"]
            .as_array()
            .expect("activities")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        assert_eq!(listed, [id.as_str()], "only the winner is listed");
        assert!(root.join("index.json").is_file(), "root manifest");
        // Reopened, the tree remembers both files.
        let again = TreeIngest::open(&root, "rider").expect("reopen");
        assert_eq!(again.known_hashes().len(), 2);
        std::fs::remove_dir_all(&root).ok();
    }
}
