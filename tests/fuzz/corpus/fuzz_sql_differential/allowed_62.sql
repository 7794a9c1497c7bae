WITH x AS (SELECT 1) SELECT * FROM x-- $$  ;  PRAGMA user_version = 7 ﻿
 ;
UPDATE products SET stock = 1 WHERE id = 1