module example.com/tinykernel

go 1.21
