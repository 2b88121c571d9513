"""squeezeflow.notebooks: the Jupyter notebooks, a package so that `pynq get-notebooks squeezeflow` can deliver them."""
