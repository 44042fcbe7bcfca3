-- An input over the size limit is kept only in part: its value column holds a bounded
-- prefix, original_length its full length, sha256 the digest of that length and prefix
-- (services/common/messages.py bounded_digest). NULL length: the value is the whole input.
ALTER TABLE quarantine ADD COLUMN original_length bigint;
