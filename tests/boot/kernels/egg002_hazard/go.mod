module example.com/boot/egg002_hazard

go 1.19
