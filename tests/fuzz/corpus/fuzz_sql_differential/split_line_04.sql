SELECT 1 -- 	/*
;REINDEX --*/