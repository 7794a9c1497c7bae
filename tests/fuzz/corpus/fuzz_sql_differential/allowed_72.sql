UPDATE products SET stock = 1 WHERE id = 1
/*⁠;DETACH aux ᅟ */;UPDATE products SET stock = 1 WHERE id = 1