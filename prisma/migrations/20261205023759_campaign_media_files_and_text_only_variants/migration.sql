-- AlterTable
ALTER TABLE "Campaign" ADD COLUMN     "mediaFileIds" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "Media" ADD COLUMN     "name" TEXT;

-- AlterTable
ALTER TABLE "ScriptVariant" ADD COLUMN     "textOnly" BOOLEAN NOT NULL DEFAULT false;
