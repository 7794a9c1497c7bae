SELECT 'a' (  ‮E'
;WI *TH x AS (SELECT 1) DELETE FROM orders ; ​E')