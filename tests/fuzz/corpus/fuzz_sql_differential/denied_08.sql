select COALESCE(delete, NULL), insert ||	-7 from items  WHERE -- DELETE F ROM t WHERE 1
ExIsTs (SELECT  coalesce(statu]s) FrOm	t WHERE  comment  <> set)