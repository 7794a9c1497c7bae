SELECT [id] FROM orders -- `
; CREATE TEMP VIEW v AS SELECT 1
; --	`