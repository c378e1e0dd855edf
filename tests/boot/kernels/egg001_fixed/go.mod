module example.com/boot/egg001_fixed

go 1.19
