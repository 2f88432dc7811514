"""The original synchronization script's algorithm (../shared/seed/original-script.md), written
plainly with pymongo as a benchmark baseline: copy every collection of DATABASE_NAME that the
secondary lacks (all documents read, then inserted), then follow the database's change stream and
apply each change, one event at a time. Same environment variables and log lines as the script.

One liberty, in the baseline's favour: the secondary's collection names are listed once, not once
per collection, so its copy does not slow down with the number of collections.
"""

import logging
import os

from pymongo import MongoClient

PRIMARY_MONGO_URI = os.environ.get("PRIMARY_MONGO_URI", "mongodb://localhost:27017")
SECONDARY_MONGO_URI = os.environ.get("SECONDARY_MONGO_URI", "mongodb://localhost:27018")
DATABASE_NAME = os.environ.get("DATABASE_NAME", "training")
LOGGING_LEVEL = getattr(logging, os.environ.get("LOGGING_LEVEL", "INFO").upper(), logging.INFO)

logging.basicConfig(
    level=LOGGING_LEVEL,
    format="%(asctime)s - %(levelname)s - %(message)s",
    datefmt="%Y-%m-%d %H:%M:%S",
)
log = logging.getLogger(__name__)


def copy_missing_collections(primary_db, secondary_db):
    present = set(secondary_db.list_collection_names())
    for name in primary_db.list_collection_names():
        if name in present:
            continue
        log.info("Copying collection '%s' to secondary database...", name)
        documents = list(primary_db[name].find())
        if documents:
            secondary_db[name].insert_many(documents)
        log.info("Collection '%s' copied successfully.", name)


def apply_change(secondary_db, change):
    operation = change["operationType"]
    collection = secondary_db[change["ns"]["coll"]]
    key = change["documentKey"]
    if operation == "insert":
        collection.insert_one(change["fullDocument"])
        log.debug("Inserted new document into '%s': %s", collection.name, change["fullDocument"])
    elif operation == "update":
        description = change["updateDescription"]
        update = {}
        if description.get("updatedFields"):
            update["$set"] = description["updatedFields"]
        if description.get("removedFields"):
            update["$unset"] = {field: "" for field in description["removedFields"]}
        if update:
            collection.update_one(key, update)
        log.debug("Updated document in '%s': %s with changes: %s", collection.name, key, update)
    elif operation == "replace":
        collection.replace_one(key, change["fullDocument"])
        log.debug("Replaced document in '%s': %s", collection.name, change["fullDocument"])
    elif operation == "delete":
        collection.delete_one(key)
        log.debug("Deleted document from '%s': %s", collection.name, key)


def main():
    primary_db = MongoClient(PRIMARY_MONGO_URI)[DATABASE_NAME]
    secondary_db = MongoClient(SECONDARY_MONGO_URI)[DATABASE_NAME]
    copy_missing_collections(primary_db, secondary_db)
    with primary_db.watch() as stream:
        log.info("Database change stream started...")
        for change in stream:
            try:
                apply_change(secondary_db, change)
            except Exception as error:  # the script logs and goes on
                log.error("Error applying change %s: %s", change.get("_id"), error)


if __name__ == "__main__":
    main()
