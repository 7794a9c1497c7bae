PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
INSERT INTO meta VALUES('created_ns','1796536965898832825');
INSERT INTO meta VALUES('durability','relaxed');
INSERT INTO meta VALUES('file_id','b8b3f8040e73ae901bd5f0bc5086c2be');
INSERT INTO meta VALUES('format','agentos-audit');
INSERT INTO meta VALUES('genesis','a25e617e62921447288de1b0c4da8126d027f696cb5966af6fddcf507cb6f9a3');
INSERT INTO meta VALUES('hash','sha256');
INSERT INTO meta VALUES('key_check','');
INSERT INTO meta VALUES('level','all');
INSERT INTO meta VALUES('payload_max_bytes','64');
INSERT INTO meta VALUES('redact_payloads','0');
INSERT INTO meta VALUES('sample_rate','1');
INSERT INTO meta VALUES('version','1');
CREATE TABLE records(
  seq INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  env_id INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  episode INTEGER NOT NULL,
  step INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  tool TEXT NOT NULL,
  payload TEXT NOT NULL,
  payload_form INTEGER NOT NULL,
  payload_len INTEGER NOT NULL,
  cost_usd REAL,
  tokens INTEGER NOT NULL,
  allowed INTEGER NOT NULL,
  total_violations INTEGER NOT NULL,
  executed INTEGER NOT NULL,
  signals INTEGER NOT NULL,
  reward REAL,
  penalty REAL,
  prev_hash BLOB NOT NULL,
  entry_hash BLOB NOT NULL) STRICT;
INSERT INTO records VALUES(1,1796536965946550250,3,'',1,1,0,'','SELECT * FROM orders WHERE id = 1',0,33,0.0,0,1,0,1,0,NULL,NULL,X'a25e617e62921447288de1b0c4da8126d027f696cb5966af6fddcf507cb6f9a3',X'34b57d32373b2716de2688f987fe85fde99d45155a84931b1e42fe384cda339c');
INSERT INTO records VALUES(2,1796536965946572504,3,'',1,2,0,'','DROP TABLE orders',0,17,0.0,0,0,1,0,0,NULL,NULL,X'34b57d32373b2716de2688f987fe85fde99d45155a84931b1e42fe384cda339c',X'210e1081afb3c270b383f3919cc8f27274a0d9886041356919a8354072f6a938');
INSERT INTO records VALUES(3,1796536965946620302,3,'',1,3,0,'','UPDATE orders SET total = 0',0,27,0.0,0,0,1,0,0,NULL,NULL,X'210e1081afb3c270b383f3919cc8f27274a0d9886041356919a8354072f6a938',X'dbd7dbc162f048436fd0adf7cf729e1dca91b8b1c637a7cbe81b725589d8b4e6');
INSERT INTO records VALUES(4,1796536965946639951,3,'',1,4,0,'','SELECT name FROM customers',0,26,0.0,0,1,0,1,0,NULL,NULL,X'dbd7dbc162f048436fd0adf7cf729e1dca91b8b1c637a7cbe81b725589d8b4e6',X'00fd4de398a47570c97ae2a41d4dea376ccb11bb2167d0f01322c52b99e8d1c4');
INSERT INTO records VALUES(5,1796536965946650101,3,'',1,5,0,'','DELETE FROM orders WHERE id = 7',0,31,0.0,0,0,1,0,0,NULL,NULL,X'00fd4de398a47570c97ae2a41d4dea376ccb11bb2167d0f01322c52b99e8d1c4',X'cfa348b12b54cab0c4f27c318ed7ab15f001bafd26b466e248c0b4d85ea906d8');
CREATE TABLE violations(
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  policy TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity INTEGER NOT NULL,
  blocked INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY(seq, idx)) STRICT, WITHOUT ROWID;
INSERT INTO violations VALUES(2,0,'sql_safety','sql.denied_kind',3,1,'statement 1 is DROP, which is denied');
INSERT INTO violations VALUES(3,0,'sql_safety','sql.update_without_where',2,1,'statement 1: UPDATE without a WHERE clause at statement level');
INSERT INTO violations VALUES(5,0,'sql_safety','sql.denied_kind',2,1,'statement 1 is DELETE, which is denied');
CREATE TABLE checkpoints(
  records INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  decisions INTEGER NOT NULL,
  head_hash BLOB NOT NULL,
  closed INTEGER NOT NULL,
  mac BLOB NOT NULL) STRICT;
INSERT INTO checkpoints VALUES(5,1796536965947442929,5,X'cfa348b12b54cab0c4f27c318ed7ab15f001bafd26b466e248c0b4d85ea906d8',1,X'2b1d38eb8e04f7f8970a71fb46bcd7aee911fe0aac508e156468f85090021c96');
COMMIT;
