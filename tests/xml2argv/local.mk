# placeholder: golden cases arrive with the builder
