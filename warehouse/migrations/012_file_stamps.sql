-- 012: each file a run found keeps the stamp it had when it was hashed (size, modification and change times
-- in ns, inode: ``xxgk.pipeline.file_stamp``). The next run trusts the sha256 of a file whose path and stamp
-- are unchanged instead of reading and hashing it again (at 30,000 reports, hashing every file was most of a
-- night's cost). Any write to a file changes its change time (which no program can set back), so a file whose
-- bytes changed is always hashed again. NULL: not recorded (runs before 012, unreadable files).
ALTER TABLE run_files ADD COLUMN IF NOT EXISTS stamp VARCHAR;
