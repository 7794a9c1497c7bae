SELECT id FROM orders WHERE status = E'-;͏
ALTER TABLE customers ADD COLUMN x‬; ﻿'	; WITH x AS (SELECT 1) SELECT * FROM x