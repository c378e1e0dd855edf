module example.com/boot/egg003_hazard

go 1.19
