SElECt
* FROM
comment WHERE	EXISTS (S{ELECT "where"
from "delete" whB'ere  explain IS NULL)
OR "where" IN (1, 2) ORDER by update /* ; TRUNCATE t; */ DeSc;