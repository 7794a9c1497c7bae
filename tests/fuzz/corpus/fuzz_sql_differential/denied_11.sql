SELECT count(*) FROM orders WHERE status = 'paid'
X'͏
;CREATE INDEX i ON orders (status); ⁠
  /*M!