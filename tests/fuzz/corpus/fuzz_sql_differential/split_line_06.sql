INSERT INTO categories (name) VALUES ('g') -- '
; ALTER TABLE customers ADD COLUMN x;--	'