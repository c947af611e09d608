print("visdrop")
