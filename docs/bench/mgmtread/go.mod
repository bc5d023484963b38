module mrload
go 1.26
