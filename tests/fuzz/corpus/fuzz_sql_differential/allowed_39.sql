WITH x AS (SELECT 1) SELECT * FROM x --	  ;CREATE TABLE t2 (a)$$ ᅟ
 ; SELECT "id" FROM orders