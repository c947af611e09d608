module visdrop/writers/go

go 1.19
