SELECT `id` FROM orders	-- E'
;	CREATE TEMP VIEW v AS SELECT 1 ;	--	'