module example.com/boot/egg007_hazard

go 1.19
