# Workers image. With internet, tfjs-node's own install script fetches libtensorflow (the standard path).
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
CMD ["npx", "tsx", "src/workers/io.ts"]
