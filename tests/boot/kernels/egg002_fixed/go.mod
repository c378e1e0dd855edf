module example.com/boot/egg002_fixed

go 1.19
