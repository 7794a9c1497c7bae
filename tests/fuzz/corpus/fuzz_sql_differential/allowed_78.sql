SELECT E';﻿ CREATE TABLE t2 (a)
;-- ' 