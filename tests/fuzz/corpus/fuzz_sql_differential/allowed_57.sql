select COALESCE(lock, X'1F')
from orders
WHERE exists (select merge from  items WhErE a
< t.a - X'1F' OR delete_flag
= /* whereN' */ merge	+ 3.14)