-- DropIndex
DROP INDEX "Contact_zip_idx";
