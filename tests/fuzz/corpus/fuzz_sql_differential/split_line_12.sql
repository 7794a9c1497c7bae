SELECT 'a'--	`
; DETACH aux
;-- `