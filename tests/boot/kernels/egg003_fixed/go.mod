module example.com/boot/egg003_fixed

go 1.19
