module visdrop-writer-test

go 1.19

require visdrop/writers/go v0.0.0

replace visdrop/writers/go => ../../go
