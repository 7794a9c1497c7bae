SELECT id FROM orders WHERE status = " ᠎ ;SAVEPOINT s
" 