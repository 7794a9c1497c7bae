COMMENT ON TABLE t IS 'DROP'; /* where */ MERGE INTO "drop" m using t sB'rc on m.id = src.id
WHEN MATCHED THEN	DELETE