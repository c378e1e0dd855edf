module example.com/boot/egg007_fixed

go 1.19
