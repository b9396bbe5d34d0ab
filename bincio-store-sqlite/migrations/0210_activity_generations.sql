-- Per-user change counters (`ActivityStore::activity_generations`), kept by
-- triggers so that every write path, present or future, bumps them in the
-- transaction that makes the change. No foreign key: a counter outlives its
-- account so a handle registered again never repeats a value. One trigger
-- per (table, event); for blobs only photos (`kind = 'image'`) count.
CREATE TABLE activity_generations (
    handle TEXT PRIMARY KEY,
    gen    INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER activities_gen_insert AFTER INSERT ON activities
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (NEW.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activities_gen_update AFTER UPDATE ON activities
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (NEW.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activities_gen_delete AFTER DELETE ON activities
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (OLD.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activity_tracks_gen_insert AFTER INSERT ON activity_tracks
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (NEW.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activity_tracks_gen_update AFTER UPDATE ON activity_tracks
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (NEW.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activity_tracks_gen_delete AFTER DELETE ON activity_tracks
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (OLD.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activity_blobs_gen_insert AFTER INSERT ON activity_blobs
    WHEN NEW.kind = 'image'
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (NEW.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activity_blobs_gen_update AFTER UPDATE ON activity_blobs
    WHEN NEW.kind = 'image'
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (NEW.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER activity_blobs_gen_delete AFTER DELETE ON activity_blobs
    WHEN OLD.kind = 'image'
BEGIN
    INSERT INTO activity_generations (handle, gen) VALUES (OLD.handle, 1)
    ON CONFLICT(handle) DO UPDATE SET gen = gen + 1;
END;
