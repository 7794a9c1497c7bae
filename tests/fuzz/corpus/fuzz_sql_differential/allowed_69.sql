SELECT id FROM orders WHERE status = "
 ; REINDEX;/"	