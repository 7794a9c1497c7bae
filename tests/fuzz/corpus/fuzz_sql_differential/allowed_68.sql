SELECT id FROM orders WHERE status = "---  ;ATTACH ':memory:' AS aux  ; ‫"
