# An empty gunicorn config file. The suite passes it with -c, so that a
# gunicorn.conf.py in the app's directory (gunicorn's working directory) is not
# read: what runs is what the scenario declares. Settings go in the scenario's
# fields, or in args: where no field covers them.
