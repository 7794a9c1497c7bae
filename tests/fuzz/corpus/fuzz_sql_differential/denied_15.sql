SeLeCt  case WHEN noT  (NoT (show <> ARRAY[1, 2])) THEN
'-- nor this' ELSE /*! comment END, (delete) + 1;
insert into  "Order Items" VALUES (true, drop_date || $q$ WHERE $q$) /* ; TRUNCATE t; */ RETURNING
*