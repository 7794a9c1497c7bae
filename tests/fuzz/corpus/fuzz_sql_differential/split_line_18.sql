SELECT id FROM orders WHERE id = 1--	"
; ATTACH ':memory:' AS aux--"