module example.com/boot/egg001_hazard

go 1.19
