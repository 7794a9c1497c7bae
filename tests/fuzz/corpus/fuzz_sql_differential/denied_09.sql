SELECT [id] FROM orders	$$‫ UPDATE orders SET status = 'paid'
$$