"""Exports of a round's rankings (issue 6 item 6): ``builders`` (the xlsx workbook, the HTML/PDF document),
``services`` (request a job, build it in the Celery task, purge old files), ``views`` (the export page, the job's
progress and download). Nothing is re-exported here.
"""
