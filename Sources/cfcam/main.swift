print("cfcam")
