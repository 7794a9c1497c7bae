SELECT id FROM orders WHERE status = "　
  ;WITH x AS (SELECT 1) DELETE FROM orders　 ;​͏"
;	SELECT count(*) FROM orders WHERE status = 'paid'