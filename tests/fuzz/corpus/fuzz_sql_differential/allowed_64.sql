SELECT id FROM orders WHERE id = 1
/*      DELETE FROM orders   */
