SELECT id FROM orders WHERE id = 1-- ﻿?‪REINDEX　­ﾠ
	; SELECT id FROM orders WHERE id = 1