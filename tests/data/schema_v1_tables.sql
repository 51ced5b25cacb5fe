-- Migration 1 as it was hand-written before the tables were generated from the models
-- (alprd/storage/migrations.py at e158de4); tests/storage/test_schema.py compares with it.
CREATE TABLE detection_session (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        detected_at DATETIME NOT NULL,
        location VARCHAR(255) NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        camera_id VARCHAR(255) NOT NULL DEFAULT '',
        source VARCHAR(255) NOT NULL DEFAULT 'upload',
        direction VARCHAR(255) NOT NULL DEFAULT 'unknown',
        original_path VARCHAR(255) NOT NULL DEFAULT '',
        annotated_path VARCHAR(255) NOT NULL DEFAULT '',
        vehicle_annotated_path VARCHAR(255) NOT NULL DEFAULT '',
        processing_time_s REAL NOT NULL DEFAULT 0,
        image_width_px INTEGER NOT NULL DEFAULT 0,
        image_height_px INTEGER NOT NULL DEFAULT 0);
CREATE INDEX detection_session_detected_at ON detection_session (detected_at);
CREATE TABLE vehicle (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER NOT NULL REFERENCES detection_session (id) ON DELETE CASCADE,
        vehicle_index INTEGER NOT NULL,
        vehicle_class VARCHAR(255) NOT NULL,
        confidence REAL NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        image_path VARCHAR(255) NOT NULL DEFAULT '',
        detected_at DATETIME NOT NULL);
CREATE INDEX vehicle_session_id ON vehicle (session_id);
CREATE TABLE plate (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER NOT NULL REFERENCES detection_session (id) ON DELETE CASCADE,
        vehicle_id INTEGER REFERENCES vehicle (id) ON DELETE CASCADE,
        plate_index INTEGER NOT NULL,
        plate_text VARCHAR(255) NOT NULL,
        ocr_confidence REAL NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        plate_type VARCHAR(255) NOT NULL DEFAULT 'Regular',
        plate_status VARCHAR(255) NOT NULL DEFAULT 'unknown',
        region_code VARCHAR(255) NOT NULL DEFAULT '',
        region_name VARCHAR(255) NOT NULL DEFAULT '',
        text_color VARCHAR(255) NOT NULL DEFAULT '',
        background_color VARCHAR(255) NOT NULL DEFAULT '',
        image_path VARCHAR(255) NOT NULL DEFAULT '',
        detected_at DATETIME NOT NULL,
        vehicle_class VARCHAR(255) NOT NULL DEFAULT 'unknown',
        vehicle_confidence REAL NOT NULL DEFAULT 0);
CREATE INDEX plate_session_id ON plate (session_id);
CREATE INDEX plate_vehicle_id ON plate (vehicle_id);
CREATE INDEX plate_plate_text ON plate (plate_text);
CREATE INDEX plate_vehicle_class_id ON plate (vehicle_class, id);
CREATE INDEX plate_plate_type_id ON plate (plate_type, id);
CREATE INDEX plate_detected_at ON plate (detected_at);
CREATE TABLE plate_status (
        plate_text VARCHAR(255) NOT NULL PRIMARY KEY,
        status VARCHAR(255) NOT NULL,
        created_at DATETIME NOT NULL);
CREATE TABLE location (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name VARCHAR(255) NOT NULL UNIQUE,
        type VARCHAR(255) NOT NULL DEFAULT '',
        created_at DATETIME NOT NULL);
