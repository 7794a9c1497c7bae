SELECT "id" FROM orders /*‍﻿ REPLACE INTO categories (id, name) VALUES (1, 'x')​  */
